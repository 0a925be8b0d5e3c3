/** Defaults of the GitLab connection, apart from the client so the settings schema loads without gitbeaker. */
export const defaultGitLabHost = 'https://gitlab.com';
export const defaultMaxPages = 10;
