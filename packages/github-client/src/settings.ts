/**
 * @loompa/github-client/settings: the connection keys every GitHub plugin's WORKFLOW.md
 * section shares, without the client (no Octokit), for the plugins' `./schema` entries.
 */

export {
  checkGitHubCredentials,
  type GitHubConnectionSettings,
  gitHubConnectionSettingsShape,
} from './github-connection-settings.js';
export { defaultGitHubApiUrl } from './github-defaults.js';
