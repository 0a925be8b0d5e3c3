import { defineConfig } from 'tsup';
import { packageBuildOptions } from '../../tsup.config.base.js';

export default defineConfig(packageBuildOptions);
