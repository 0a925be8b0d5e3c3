import { defineConfig } from 'tsup';
import { packageBuildOptions } from '../../tsup.config.base.js';

// vitest is a peer dependency: the conformance suites run inside the caller's vitest.
export default defineConfig({ ...packageBuildOptions, external: ['vitest'] });
