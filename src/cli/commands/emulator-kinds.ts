/** The emulators `plain-migrate emulator --kind` starts: apart from emulator.ts, which loads them all. */
export const EMULATOR_KINDS = ['plain', 'therethere', 'zendesk', 'freshdesk', 'helpscout', 'intercom', 'front', 'helpspot'] as const;
