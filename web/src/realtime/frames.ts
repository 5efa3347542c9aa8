/** Frames of the `hybrid.v1` WebSocket protocol (docs/protocol.md). */

export interface HelloFrame {
  type: 'hello';
  protocol: string;
  heartbeat_ms: number;
}
export interface ReadyFrame {
  type: 'ready';
  user_id: number;
  session_id: number;
}
export interface ChatEventFrame {
  type: 'event';
  chat_id: number;
  pts: number;
  kind: string;
  data: Record<string, unknown>;
}
export interface UserEventFrame {
  type: 'user_event';
  pts: number;
  kind: string;
  data: Record<string, unknown>;
}
export interface TypingFrame {
  type: 'typing';
  chat_id: number;
  user_id: number;
  expires_ms: number;
}
export interface PresenceFrame {
  type: 'presence';
  user_id: number;
  online: boolean;
  at?: number;
}
export interface PongFrame {
  type: 'pong';
}

export type LogFrame = ChatEventFrame | UserEventFrame;
export type ServerFrame = HelloFrame | ReadyFrame | LogFrame | TypingFrame | PresenceFrame | PongFrame;

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
