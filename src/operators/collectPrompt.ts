import { defer, mergeMap, type OperatorFunction } from 'rxjs';

/** One RM's score of one pair, as the labeler keeps it. */
export interface ScoredPair {
  pairId: string;
  /** Position in the prompt (the keep order). */
  index: number;
  rm: string;
  scoreA: number;
  scoreB: number;
  /** False for a pair whose scores were unusable (NaN/Inf): it completes the prompt but is never kept. */
  usable: boolean;
}

/** Scores of (part of) one prompt. */
export interface PromptScores {
  run: string;
  batch: number;
  promptId: string;
  /** Pairs of the whole prompt: the prompt is complete once this many distinct pairs are in. */
  promptPairs: number;
  pairs: ScoredPair[];
}

export interface CollectConfig {
  /** How many completed prompt keys to remember, so late re-deliveries are ignored (default 65 536). */
  rememberDone?: number;
  /** Called when a prompt is opened (its first part arrives) and when it completes; e.g. to hold back offset commits. */
  onOpen?: (key: string) => void;
  onDone?: (key: string) => void;
}

/** The key collectPrompt groups by (and passes to onOpen / onDone). */
export const promptKey = (p: { run: string; promptId: string }): string => `${p.run}\u0000${p.promptId}`;

/**
 * Groups score records by (run, prompt) until `promptPairs` distinct pairs are
 * in, then emits the whole prompt with its pairs sorted by `index`.
 * <span class="informal">A count window per key: re-delivered pairs (same
 * pairId) count once, and a prompt already emitted is not opened again.</span>
 *
 * State lives per subscription, so two subscribers never share prompts.
 */
export function collectPrompt(cfg: CollectConfig = {}): OperatorFunction<PromptScores, PromptScores> {
  const remember = cfg.rememberDone ?? 65536;
  return (source) =>
    defer(() => {
      const open = new Map<string, { head: PromptScores; pairs: Map<string, ScoredPair> }>();
      const done = new Set<string>();
      return source.pipe(
        mergeMap((part) => {
          const key = promptKey(part);
          if (done.has(key)) return [];
          let entry = open.get(key);
          if (!entry) {
            open.set(key, (entry = { head: part, pairs: new Map() }));
            cfg.onOpen?.(key);
          }
          for (const p of part.pairs) if (!entry.pairs.has(p.pairId)) entry.pairs.set(p.pairId, p);
          if (entry.pairs.size < entry.head.promptPairs) return [];
          open.delete(key);
          done.add(key);
          cfg.onDone?.(key);
          // A Set iterates in insertion order: dropping the first key forgets the oldest prompt.
          if (done.size > remember) done.delete(done.values().next().value!);
          const pairs = [...entry.pairs.values()].sort((a, b) => a.index - b.index);
          return [{ run: part.run, batch: entry.head.batch, promptId: part.promptId, promptPairs: entry.head.promptPairs, pairs }];
        }),
      );
    });
}
