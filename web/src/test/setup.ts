import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

// jsdom draws nothing: a canvas has no context (a test that looks at drawing fakes one),
// rather than jsdom's "not implemented" error on every blurhash placeholder.
HTMLCanvasElement.prototype.getContext = (() => null) as typeof HTMLCanvasElement.prototype.getContext;

afterEach(() => {
  cleanup();
  localStorage.clear();
  sessionStorage.clear();
});
