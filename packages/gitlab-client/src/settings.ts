/**
 * @loompa/gitlab-client/settings: the connection keys every GitLab plugin's WORKFLOW.md
 * section shares, without the client (no gitbeaker), for the plugins' `./schema` entries.
 */

export {
  checkGitLabCredentials,
  type GitLabConnectionSection,
  gitLabConnectionSettingsShape,
} from './gitlab-connection-settings.js';
export { defaultGitLabHost, defaultMaxPages } from './gitlab-defaults.js';
