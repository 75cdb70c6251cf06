/**
 * The demo's default RM pool: the four RMs of docs/results.md's tables, by their RewardBench 2 names
 * (data/rewardbench2-profiles.json). A real deployment names its RMs in its prior and loop.json;
 * nothing outside the demo, `eval` and the tests falls back to this list.
 */
export const defaultPool: string[] = [
  'Skywork-Reward-V2-Qwen3-0.6B',
  'Skywork-Reward-V2-Llama-3.2-3B',
  'gemini-2.5-flash (judge)',
  'gpt-4.1 (judge)',
];
