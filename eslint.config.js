// Lint: typescript-eslint's recommended rules, plus the project's hard rules:
// no Math.random / Date.now in library code (determinism), and a pure core.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.kafka/**', 'deploy/kafka/libs/**', 'reports/**', 'out/**', 'bench/.venv/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use the seeded counter-based RNG (src/core/rng.ts).' },
      ],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'kafkajs',
                '@opentelemetry/*',
                '@tensorflow/*',
                'node:*',
                'fs',
                'net',
                'path',
                'rxjs',
                'avsc',
                '../*/**',
                '!../core/**',
              ],
              message: 'src/core is pure: no Kafka, OTel, tfjs, RxJS or I/O imports.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'Date', message: 'Inject a clock; no wall-clock in the core.' },
        { name: 'performance', message: 'Inject a clock; no wall-clock in the core.' },
      ],
    },
  },
);
