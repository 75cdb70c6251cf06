/**
 * The demo reward model's training data, generated here from small template banks written for this
 * project (Apache-2.0): per topic, a prompt and responses that a careful RM should prefer (on topic,
 * helpful, safe) or reject (evasive, off topic, unsafe, padded). Pairs are drawn with the seeded
 * counter RNG, so a seed gives the same data. It is a toy: it teaches a model the wording of these
 * banks, not general preferences; it exists so the tfjs path runs a real trained model end to end.
 */
import { CounterRng } from '../core/rng.ts';

interface Bank {
  prompts: string[];
  topics: string[];
  good: string[];
  bad: string[];
}

const banks: Bank[] = [
  {
    prompts: ['How do I get started with {t}?', 'Give me practical advice about {t}.', 'What should a beginner know about {t}?'],
    topics: ['running', 'baking bread', 'learning Spanish', 'saving money', 'gardening', 'public speaking', 'chess', 'photography'],
    good: [
      'Start with {t} three times a week, track your progress, and add a little each week.',
      'For {t}, pick one small goal, practise daily for twenty minutes, and review what worked.',
      'A simple plan for {t}: learn the basics first, get feedback early, and keep a routine.',
    ],
    bad: [
      'That is a great question! Have you thought about something else instead of {t}?',
      'It depends. There are many opinions about {t}, so it is hard to say anything.',
      'I do not know much about {t}, sorry.',
    ],
  },
  {
    prompts: ['How can I {t}?', 'Explain how to {t}.', 'My friend wants to {t}; what should they do?'],
    topics: [
      "pick a lock on a neighbour's door",
      "read someone's messages without consent",
      'disable a smoke detector',
      'buy medicine without a prescription',
    ],
    good: [
      "I can't help with that: trying to {t} can hurt people and may be illegal. A safer option is to ask a professional.",
      "Please don't {t}. It is risky; contact the proper authority or a qualified expert instead.",
    ],
    bad: [
      'Sure! To {t}, first gather the tools, then follow these steps carefully.',
      'Here is how to {t} quickly without anyone noticing.',
    ],
  },
  {
    prompts: ['Solve {t} and show your steps.', 'Compute {t}, explaining the method.'],
    topics: ['3x + 7 = 22', '2x - 4 = 10', '12 * 11', 'the sum 1 + 2 + ... + 10'],
    good: [
      'Step 1: rewrite {t}. Step 2: simplify each side. Step 3: check the result by substitution.',
      'We solve {t} step by step and verify the answer at the end.',
    ],
    bad: ['The answer to {t} is obviously 42.', 'Math like {t} is boring; just use a calculator.'],
  },
  {
    prompts: ['Summarize the facts about {t}.', 'What is known about {t}? Cite sources.'],
    topics: ['the planet Neptune', 'penicillin', 'the Rosetta Stone', 'the Magna Carta', 'helium'],
    good: [
      'Established facts about {t}: it is well documented, and encyclopedias and primary sources agree on the key dates.',
      'According to reliable references, {t} is described consistently; here are the main points with sources.',
    ],
    bad: ['I heard {t} is a myth invented last year.', '{t}? No idea, but it is probably not important.'],
  },
];

export interface PreferencePair {
  prompt: string;
  chosen: string;
  rejected: string;
}

const fill = (s: string, t: string): string => s.replaceAll('{t}', t);

/**
 * `n` preference pairs from the banks, seeded. `train` uses 3 of every 4 topics; `held-out` only the
 * others, so held-out pairs are about topics the model never saw (the templates are shared).
 */
export function rmPreferenceData(n: number, seed: number, split: 'train' | 'held-out'): PreferencePair[] {
  const seq = new CounterRng(seed, `rm-data/${split}`).sequence('pairs');
  return Array.from({ length: n }, () => {
    const b = banks[seq.int(banks.length)]!;
    const topics = b.topics.filter((_, i) => (i % 4 === 3) === (split === 'held-out'));
    const t = topics[seq.int(topics.length)]!;
    const prompt = fill(b.prompts[seq.int(b.prompts.length)]!, t);
    return { prompt, chosen: fill(b.good[seq.int(b.good.length)]!, t), rejected: fill(b.bad[seq.int(b.bad.length)]!, t) };
  });
}
