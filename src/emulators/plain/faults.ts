/**
 * Plain's fault actions on top of the shared injector (../common/faults.ts). Rules are evaluated in
 * order for each authenticated, non-rate-limited GraphQL request; `operation` matches a root field of
 * the first operation or the operationName.
 */
import { FaultInjector as SharedFaultInjector, parseFaultBody as parseRules, type FaultRuleStateOf, type ParsedFaults } from '../common/faults.js';
import type { FaultAction, FaultRule } from './types.js';

export { statusOf, type RequestIdentity } from '../common/faults.js';

export type FaultRuleState = FaultRuleStateOf<FaultRule>;

const SIMPLE_ACTIONS: readonly FaultAction[] = ['reset', 'hang', 'drop-after-commit', 'internal-error', 'partial-internal-error', 'rate-limit'];

/** Validates a POST /__emulator/faults body: `{rules: FaultRule[], faultSeed?: number}`. */
export function parseFaultBody(body: unknown): ParsedFaults<FaultAction> {
  return parseRules(body, SIMPLE_ACTIONS);
}

export class FaultInjector extends SharedFaultInjector<FaultRule> {}
