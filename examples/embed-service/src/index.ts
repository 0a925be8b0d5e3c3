/**
 * @loompa/embed-service: the orchestrator inside a Node HTTP service of one's own, with
 * Loompa's API and dashboard (`@loompa/dashboard`) mounted next to the service's routes.
 * This file is the package's public face.
 */

export { type LoompaService, type LoompaServiceOptions, startLoompaService } from './start-loompa-service.js';
