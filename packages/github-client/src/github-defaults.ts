/** Defaults of the GitHub connection, apart from the client so the settings schema loads without Octokit. */
export const defaultGitHubApiUrl = 'https://api.github.com';
