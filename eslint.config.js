// Lint: typescript-eslint's type-checked recommended rules over the whole
// repository (`npm run lint`; `npm test` runs it after the type-check).
// A rule is configured below only where its default is wrong for this
// codebase, each with the reason.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // Build output, installed packages, lab state and generated schemas.
  { ignores: ['dist/', 'node_modules/', '.lab/', 'tmp/', 'schemas/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // One program from tsconfig.json for every file it includes; the few
        // plain JavaScript files (bin/, configs) are linted without types below.
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Every finding of this rule here is a method or fake that implements a
      // Promise-returning interface (Connection, HostReader, ModuleContext...)
      // without needing to wait; `async` there is deliberate, so that a
      // synchronous throw reaches the caller as a rejection like any other.
      '@typescript-eslint/require-await': 'off',
      // The code names deliberately ignored parameters, destructured fields
      // (`const { content: _content, ...rest } = o`) and caught errors with a
      // leading underscore; those are intended, everything else is reported.
      '@typescript-eslint/no-unused-vars': ['error', {
        argsIgnorePattern: '^_',
        varsIgnorePattern: '^_',
        caughtErrorsIgnorePattern: '^_',
        destructuredArrayIgnorePattern: '^_',
        ignoreRestSiblings: true,
      }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
);
