/**
 * Keeps the pts of every chat (and the user's own pts), applies event frames in order, and
 * catches up with `POST /sync` after a (re)connect or when a pts gap shows something was
 * missed (docs/protocol.md, "Catch-up: sync"). Frames that arrive while a sync runs wait and
 * are applied after it, so nothing is applied out of order.
 */
import type { ChatEventFrame, LogFrame, UserEventFrame } from './frames';
import type { SyncPart, SyncRequest, SyncResponse } from '../../api/types';

export interface SyncHandlers {
  applyChatEvent(ev: ChatEventFrame): void;
  applyUserEvent(ev: UserEventFrame): void;
  /** Too much was missed in this chat: reload it (info and latest history). */
  reloadChat(chatId: number): void;
  /** Too much was missed for the user (or first start): reload the chat list. */
  reloadChats(): void;
  /** No longer a member. */
  dropChat(chatId: number): void;
  /**
   * Another service's part of the answer (`services.<name>`): its missed entries, or
   * `too_long` (reload that service's list). Not called for a part that is `unavailable`.
   */
  applyService?(name: string, part: SyncPart): void;
}

export class SyncEngine {
  private userPts: number | null = null;
  private readonly chats = new Map<number, number>();
  /** Each service's cursor, from its last part (sent back as `services.<name>`). */
  private readonly services = new Map<string, string>();
  private running: Promise<void> | null = null;
  private wantFull = false;
  private readonly wantChats = new Set<number>();
  private buffer: LogFrame[] = [];

  constructor(
    private readonly fetchSync: (req: SyncRequest) => Promise<SyncResponse>,
    private readonly h: SyncHandlers,
  ) {}

  get syncing(): boolean {
    return this.running !== null;
  }

  knownUserPts(): number | null {
    return this.userPts;
  }

  knownPts(chatId: number): number | undefined {
    return this.chats.get(chatId);
  }

  /** The pts of a chat as loaded from the API; ignored when the chat is tracked already. */
  setBaseline(chatId: number, pts: number): void {
    if (!this.chats.has(chatId)) this.chats.set(chatId, pts);
  }

  /** Start over for a chat (after reloading it from scratch). */
  resetChat(chatId: number, pts: number): void {
    this.chats.set(chatId, pts);
  }

  forget(chatId: number): void {
    this.chats.delete(chatId);
  }

  /** The cursor a service's last part gave, if any. */
  serviceCursor(name: string): string | undefined {
    return this.services.get(name);
  }

  reset(): void {
    this.userPts = null;
    this.chats.clear();
    this.services.clear();
    this.buffer = [];
    this.wantChats.clear();
    this.wantFull = false;
  }

  /** An `event` or `user_event` frame pushed by the socket. */
  handle(frame: LogFrame): void {
    if (this.running) {
      this.buffer.push(frame);
      return;
    }
    this.applyOrGap(frame);
  }

  /** Catch up on everything (after the socket's `ready`). Resolves once applied. */
  catchUp(): Promise<void> {
    this.wantFull = true;
    return this.kick();
  }

  private applyOrGap(frame: LogFrame): void {
    if (frame.type === 'user_event') {
      const known = this.userPts;
      if (known === null) {
        this.h.applyUserEvent(frame);
      } else if (frame.pts <= known) {
        // seen
      } else if (frame.pts === known + 1) {
        this.userPts = frame.pts;
        this.h.applyUserEvent(frame);
      } else {
        this.wantFull = true;
        void this.kick().catch(() => undefined);
      }
      return;
    }
    const known = this.chats.get(frame.chat_id);
    if (known === undefined) {
      // A chat we have not loaded yet: show the change; its pts comes with the chat.
      this.h.applyChatEvent(frame);
    } else if (frame.pts <= known) {
      // duplicate (delivery is at least once)
    } else if (frame.pts === known + 1) {
      this.chats.set(frame.chat_id, frame.pts);
      this.h.applyChatEvent(frame);
    } else {
      this.wantChats.add(frame.chat_id);
      void this.kick().catch(() => undefined);
    }
  }

  private kick(): Promise<void> {
    if (!this.running) {
      this.running = this.loop().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private async loop(): Promise<void> {
    for (;;) {
      while (this.wantFull || this.wantChats.size > 0) {
        const full = this.wantFull;
        const ids = full ? [...this.chats.keys()] : [...this.wantChats];
        this.wantFull = false;
        this.wantChats.clear();
        const initial = this.userPts === null;
        const req: SyncRequest = { user_pts: this.userPts ?? 0, chats: {} };
        const chats: Record<string, number> = {};
        for (const id of ids) {
          const pts = this.chats.get(id);
          if (pts !== undefined) chats[String(id)] = pts;
        }
        req.chats = chats;
        // Every answer has each service's part, whatever was asked: always send the cursors.
        if (this.services.size > 0) req.services = Object.fromEntries(this.services);
        let resp: SyncResponse;
        try {
          resp = await this.fetchSync(req);
        } catch (e) {
          // Try everything again next time.
          this.wantFull = true;
          throw e;
        }
        this.apply(resp, initial);
      }
      if (this.buffer.length === 0) return;
      const frames = this.buffer;
      this.buffer = [];
      for (const f of frames) this.applyOrGap(f);
    }
  }

  private apply(resp: SyncResponse, initial: boolean): void {
    if (initial || resp.user_too_long) {
      // First start or too far behind: the chat list, loaded now, is the new baseline.
      this.userPts = resp.user_pts;
      this.h.reloadChats();
    } else {
      for (const raw of resp.user_events) {
        const ev = raw as unknown as UserEventFrame;
        if (this.userPts !== null && ev.pts <= this.userPts) continue;
        this.userPts = ev.pts;
        this.h.applyUserEvent(ev);
      }
      this.userPts = Math.max(this.userPts ?? 0, resp.user_pts);
    }
    for (const c of resp.chats) {
      if (c.not_member) {
        this.chats.delete(c.chat_id);
        this.h.dropChat(c.chat_id);
        continue;
      }
      if (c.too_long) {
        this.chats.set(c.chat_id, c.pts);
        this.h.reloadChat(c.chat_id);
        continue;
      }
      let known = this.chats.get(c.chat_id) ?? 0;
      for (const raw of c.events) {
        const ev = raw as unknown as ChatEventFrame;
        if (ev.pts <= known) continue;
        known = ev.pts;
        this.chats.set(c.chat_id, known);
        this.h.applyChatEvent(ev);
      }
      this.chats.set(c.chat_id, Math.max(known, c.pts));
    }
    for (const [name, part] of Object.entries(resp.services ?? {})) {
      // Could not answer now: keep the cursor, the next sync asks again.
      if (part.unavailable) continue;
      this.services.set(name, part.cursor);
      this.h.applyService?.(name, part);
    }
  }
}
