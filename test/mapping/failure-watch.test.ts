import { describe, expect, it } from 'vitest';
import { FailureWatch, SYSTEMATIC_FAILURES } from '../../src/mapping/failure-watch.js';
import type { Expr } from '../../src/manifest/types.js';

const expr = (path: string): Expr => ({ text: 'x', path, location: { file: 'm.yaml', line: 3, col: 10 } });
const TITLE = expr('threads.title');
const TEXT = expr('threads.messages.text');
const TIMEOUT = 'Evaluation timeout after 1000 milliseconds';

describe('FailureWatch: an expression failing alike from the first record on', () => {
  it(`trips on the ${SYSTEMATIC_FAILURES}th failure, naming the expression, the error and the records`, () => {
    const w = new FailureWatch();
    for (let i = 1; i < SYSTEMATIC_FAILURES; i++) {
      w.failed(TITLE, TIMEOUT, `t.jsonl:${i}`);
      expect(w.tripped).toBeUndefined();
    }
    w.failed(TITLE, TIMEOUT, `t.jsonl:${SYSTEMATIC_FAILURES}`);
    expect(w.tripped).toEqual({ expr: TITLE, detail: TIMEOUT, count: SYSTEMATIC_FAILURES, records: ['t.jsonl:1', 't.jsonl:2', 't.jsonl:3', 't.jsonl:4', 't.jsonl:5'] });
  });

  it('never trips for an expression that succeeded once: then it is the data, not the mapping', () => {
    const w = new FailureWatch();
    w.succeeded(TITLE);
    for (let i = 1; i <= 20; i++) w.failed(TITLE, TIMEOUT, `t.jsonl:${i}`);
    expect(w.tripped).toBeUndefined();
  });

  it('never trips once two errors of the expression differ (they name values of the records)', () => {
    const w = new FailureWatch();
    w.failed(TITLE, 'got 1', 't.jsonl:1');
    for (let i = 2; i <= 20; i++) w.failed(TITLE, 'got 2', `t.jsonl:${i}`);
    expect(w.tripped).toBeUndefined();
  });

  it("needs two records: one thread's messages alone may share that thread's problem", () => {
    const w = new FailureWatch();
    for (let i = 0; i < 10; i++) w.failed(TEXT, TIMEOUT, 't.jsonl:1');
    expect(w.tripped).toBeUndefined();
    w.failed(TEXT, TIMEOUT, 't.jsonl:2');
    expect(w.tripped).toMatchObject({ expr: TEXT, count: 11, records: ['t.jsonl:1', 't.jsonl:2'] });
  });

  it('watches each expression on its own; another one succeeding does not matter', () => {
    const w = new FailureWatch();
    for (let i = 1; i <= SYSTEMATIC_FAILURES; i++) {
      w.succeeded(TEXT);
      w.failed(TITLE, TIMEOUT, `t.jsonl:${i}`);
    }
    expect(w.tripped?.expr).toBe(TITLE);
  });
});
