// Loaded with `--import`: names on stderr every forge client module (gitbeaker, Octokit) the
// process resolves, so a test can tell what an import pulled in.
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, nextResolve) {
    const result = nextResolve(specifier, context);
    if (/[\\/]@(gitbeaker|octokit)[\\/+]/.test(result.url))
      process.stderr.write(`forge client: ${result.url}\n`);
    return result;
  },
});
