/** Frames of the `hybrid.v1` WebSocket protocol (docs/protocol.md), typed from `schema.d.ts`. */
import type { components } from '../../api/schema';

type S = components['schemas'];

/** Every frame the server sends, generated from the API reference (`ServerFrame`). */
export type ServerFrame = S['ServerFrame'];
/** Every frame the client sends (`ClientFrame`). */
export type ClientFrame = S['ClientFrame'];
/** An event of a chat's log: `kind` tells what `data` holds. */
export type ChatEventFrame = Extract<ServerFrame, { type: 'event' }>;
/** An event of the user's own log. */
export type UserEventFrame = Extract<ServerFrame, { type: 'user_event' }>;
export type LogFrame = ChatEventFrame | UserEventFrame;

/** Parses a text frame; null for anything that is not a JSON object with a string `type`. */
export function parseFrame(data: unknown): ServerFrame | null {
  if (typeof data !== 'string') return null;
  try {
    const v: unknown = JSON.parse(data);
    if (v && typeof v === 'object' && typeof (v as { type?: unknown }).type === 'string') {
      return v as ServerFrame;
    }
  } catch {
    // ignore
  }
  return null;
}

export const CLOSE = {
  UNAUTHORIZED: 4001,
  SESSION_REVOKED: 4003,
  RESYNC: 4008,
  PROTOCOL: 4400,
  GOING_AWAY: 1001,
} as const;
