/**
 * The topic catalog: base names, full names under a prefix, one `requests.<rm>`
 * topic per RM, which record each topic carries, how keys are formed, and the
 * topic configs (compaction, message size). Pure data and functions: the
 * bootstrap and the stream apps turn these into admin calls.
 */
import { RouterError } from '../core/errors.ts';
import type {
  Decision,
  DeadLetter,
  Feedback,
  Generation,
  Label,
  PosteriorDelta,
  PosteriorSnapshot,
  RecordName,
  Score,
  ScoringRequest,
} from './types.ts';

export interface TopicRecords {
  generations: Generation;
  requests: ScoringRequest;
  scores: Score;
  labels: Label;
  feedback: Feedback;
  decisions: Decision;
  'posterior-deltas': PosteriorDelta;
  posteriors: PosteriorSnapshot;
  dlq: DeadLetter;
}

export type TopicBase = keyof TopicRecords;

/** `run:promptId` and `run` are UTF-8 strings (partitioning only, never parsed); dlq reuses the source key bytes. */
export type KeyFormat = 'run:promptId' | 'run' | 'rm' | 'source key';

export interface TopicSpec {
  base: TopicBase;
  record: RecordName;
  key: KeyFormat;
  compacted: boolean;
}

const spec = (base: TopicBase, record: RecordName, key: KeyFormat, compacted = false): TopicSpec => ({ base, record, key, compacted });

export const topicSpecs: { readonly [B in TopicBase]: TopicSpec } = {
  generations: spec('generations', 'Generation', 'run:promptId'),
  requests: spec('requests', 'ScoringRequest', 'run:promptId'),
  scores: spec('scores', 'Score', 'run:promptId'),
  labels: spec('labels', 'Label', 'run'),
  feedback: spec('feedback', 'Feedback', 'run'),
  decisions: spec('decisions', 'Decision', 'run'),
  'posterior-deltas': spec('posterior-deltas', 'PosteriorDelta', 'rm'),
  posteriors: spec('posteriors', 'PosteriorSnapshot', 'rm', true),
  dlq: spec('dlq', 'DeadLetter', 'source key'),
};

export const topicBases = Object.keys(topicSpecs) as TopicBase[];

/** Kafka's rule for topic names. */
export const MAX_TOPIC_LENGTH = 249;
const LEGAL = /^[A-Za-z0-9._-]*$/;

function checkTopic(name: string, field: string): string {
  if (name === '' || name === '.' || name === '..' || name.length > MAX_TOPIC_LENGTH || !LEGAL.test(name)) {
    throw new RouterError(
      'RR_INVALID_CONFIG',
      `${field}: ${JSON.stringify(name)} is not a legal Kafka topic name ([a-zA-Z0-9._-], 1..${MAX_TOPIC_LENGTH} chars)`,
      { field },
    );
  }
  return name;
}

function prefixed(prefix: string, name: string): string {
  if (!LEGAL.test(prefix))
    throw new RouterError('RR_INVALID_CONFIG', `topic prefix ${JSON.stringify(prefix)} has characters outside [a-zA-Z0-9._-]`, {
      field: 'prefix',
    });
  return checkTopic(prefix + name, 'topic');
}

/** `prefix + base`, e.g. `rr.` + `scores`. Per-RM request topics come from `requestsTopic`. */
export function topicName(prefix: string, base: Exclude<TopicBase, 'requests'>): string {
  return prefixed(prefix, base);
}

/** FNV-1a 32 of the UTF-8 bytes, 8 hex digits: a short stable tag that keeps sanitized names apart. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/**
 * `prefix + "requests." + rm`. An RM name that is already a legal topic suffix is
 * kept verbatim; any other has each run of illegal characters replaced by `_`,
 * is cut to fit 249 characters, and gets `-` + FNV-1a-32 of the original name,
 * so `gpt-4.1 (judge)` → `requests.gpt-4.1_judge_-<8 hex>` and `a b` never meets `a_b`.
 */
export function requestsTopic(prefix: string, rm: string): string {
  if (rm === '') throw new RouterError('RR_INVALID_CONFIG', 'RM id is empty', { field: 'rm' });
  const stem = prefixed(prefix, 'requests.');
  const verbatim = stem + rm;
  if (LEGAL.test(rm) && verbatim.length <= MAX_TOPIC_LENGTH) return verbatim;
  const tag = `-${fnv1a(rm)}`;
  const room = MAX_TOPIC_LENGTH - stem.length - tag.length;
  if (room < 1)
    throw new RouterError('RR_INVALID_CONFIG', `topic prefix ${JSON.stringify(prefix)} leaves no room for RM names`, { field: 'prefix' });
  return checkTopic(stem + rm.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, room) + tag, 'rm');
}

/**
 * RM id → request topic for a whole pool, rejecting collisions: equal names, and
 * names equal once `.` and `_` are identified (Kafka's metric names collide then).
 */
export function requestsTopics(prefix: string, rms: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const seen = new Map<string, string>();
  for (const rm of rms) {
    if (out.has(rm)) throw new RouterError('RR_INVALID_CONFIG', `RM id ${JSON.stringify(rm)} appears twice`, { field: 'rms', rm });
    const topic = requestsTopic(prefix, rm);
    const metricName = topic.replaceAll('.', '_');
    const other = seen.get(metricName);
    if (other !== undefined) {
      throw new RouterError(
        'RR_INVALID_CONFIG',
        `RM ids ${JSON.stringify(other)} and ${JSON.stringify(rm)} map to colliding topics (${topic})`,
        { field: 'rms', rm, other },
      );
    }
    seen.set(metricName, rm);
    out.set(rm, topic);
  }
  return out;
}

/** The base of a full topic name under `prefix` (`requests` for every per-RM topic), or undefined. */
export function baseOfTopic(prefix: string, topic: string): TopicBase | undefined {
  if (!topic.startsWith(prefix)) return undefined;
  const rest = topic.slice(prefix.length);
  if (rest.startsWith('requests.')) return 'requests';
  return rest !== 'requests' && rest in topicSpecs ? (rest as TopicBase) : undefined;
}

/** The record key of a value on its topic (dlq: the original key, kept as bytes). */
export function recordKey<B extends TopicBase>(base: B, value: TopicRecords[B]): string | Buffer | null {
  const v = value as TopicRecords[TopicBase];
  switch (topicSpecs[base].key) {
    case 'run:promptId':
      return `${(v as Generation).run}:${(v as Generation).promptId}`;
    case 'run':
      return (v as Label).run;
    case 'rm':
      return (v as PosteriorDelta).rm;
    case 'source key':
      return (v as DeadLetter).originalKey;
  }
}
