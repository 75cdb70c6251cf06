import { map, type OperatorFunction } from 'rxjs';
import type { ScoringRequest } from '../records/types.ts';
import type { RoutedPrompt } from './routePairs.ts';
import type { Work } from './types.ts';

export interface AuditConfig {
  /** RM ids in arm order. */
  arms: readonly string[];
  /** Whether a pair is a shadow pair (`shadowPicker` of src/core/shadow.ts). */
  isShadow: (pairId: string) => boolean;
}

/**
 * Shadow scoring: after routing, each shadow pair of a prompt is also sent to every RM it was not
 * routed to, in audit requests (`audit: true`, one per such RM and prompt, arm order, pairs in
 * prompt order) appended after the routed ones. The decisions and the routed requests are left
 * exactly as they were, so routing is bit-identical with shadow scoring on or off; the labeler
 * never labels with an audit score.
 */
export function addAuditRequests(cfg: AuditConfig): OperatorFunction<Work<RoutedPrompt>, Work<RoutedPrompt>> {
  return map((work) => {
    const routed = work.value;
    if (routed === undefined || routed.requests.length === 0) return work;
    const shadow = routed.requests.map((r) => (r.audit === true ? [] : r.pairs.filter((p) => cfg.isShadow(p.pairId))));
    if (shadow.every((s) => s.length === 0)) return work;
    const audit: ScoringRequest[] = [];
    for (const rm of cfg.arms) {
      const pairs = routed.requests.flatMap((r, i) => (r.rm === rm ? [] : shadow[i]!));
      if (pairs.length === 0) continue;
      const head = routed.requests[0]!;
      audit.push({ ...head, rm, pairs: pairs.sort((a, b) => a.index - b.index), audit: true });
    }
    return { ...work, value: { ...routed, requests: [...routed.requests, ...audit] } };
  });
}
