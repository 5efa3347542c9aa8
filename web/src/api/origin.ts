/**
 * The origin API calls go to: this page's (the server serves the client), or a stand-in
 * outside browsers, where `new Request` needs an absolute URL (tests).
 */
export function apiOrigin(): string {
  return typeof location !== 'undefined' && location.origin && location.origin !== 'null' ? location.origin : 'http://localhost';
}
