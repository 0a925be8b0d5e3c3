/**
 * An example third-party Loompa plugin: a tracker whose issues live in a JSON file. It
 * imports only `@loompa/core`'s public API. This file is the package's public face.
 */

export {
  createJsonFileTracker,
  type JsonFileTracker,
  type JsonFileTrackerSettings,
} from './json-file-tracker.js';
export {
  type JsonFileTrackerSection,
  jsonFileTracker,
  jsonFileTrackerSettingsSchema,
} from './json-file-tracker-plugin.js';
export {
  type IssueFile,
  issueFileSchema,
  JsonIssueFile,
  type StoredIssue,
  storedIssueSchema,
} from './json-issue-file.js';
