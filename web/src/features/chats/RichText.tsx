/** Message text with its entities (offsets in UTF-16 code units, which JS strings use too). */
import type { ReactNode } from 'react';
import type { Entity } from '../../api/types';

const SAFE_URL = /^(https?:\/\/|tg:\/\/)/i;

function wrap(e: Entity, text: string, children: ReactNode, key: number, onMention?: (userId: number) => void): ReactNode {
  switch (e.type) {
    case 'bold':
      return <strong key={key}>{children}</strong>;
    case 'italic':
      return <em key={key}>{children}</em>;
    case 'underline':
      return <u key={key}>{children}</u>;
    case 'strikethrough':
      return <s key={key}>{children}</s>;
    case 'code':
      return <code key={key}>{children}</code>;
    case 'pre':
      return (
        <pre key={key}>
          <code>{children}</code>
        </pre>
      );
    case 'spoiler':
      return (
        <span key={key} className="spoiler" tabIndex={0}>
          {children}
        </span>
      );
    case 'url': {
      const href = SAFE_URL.test(text) ? text : `https://${text}`;
      return (
        <a key={key} href={href} target="_blank" rel="noopener noreferrer">
          {children}
        </a>
      );
    }
    case 'email':
      return (
        <a key={key} href={`mailto:${text}`}>
          {children}
        </a>
      );
    case 'text_link': {
      const url = 'url' in e && typeof e.url === 'string' && SAFE_URL.test(e.url) ? e.url : null;
      return url ? (
        <a key={key} href={url} target="_blank" rel="noopener noreferrer">
          {children}
        </a>
      ) : (
        <span key={key}>{children}</span>
      );
    }
    case 'mention':
    case 'text_mention': {
      const uid = 'user_id' in e && typeof e.user_id === 'number' ? e.user_id : null;
      return (
        <span key={key} className={`mention${uid ? ' known' : ''}`} onClick={uid && onMention ? () => onMention(uid) : undefined}>
          {children}
        </span>
      );
    }
    case 'hashtag':
    case 'bot_command':
      return (
        <span key={key} className="hashtag">
          {children}
        </span>
      );
    default:
      return <span key={key}>{children}</span>;
  }
}

const URL_RE = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/gi;

/** Plain text with bare http(s) links made clickable. */
export function linkify(text: string, keyBase: string): ReactNode[] {
  const out: ReactNode[] = [];
  let last = 0;
  let n = 0;
  for (const m of text.matchAll(URL_RE)) {
    const start = m.index ?? 0;
    if (start > last) out.push(text.slice(last, start));
    out.push(
      <a key={`${keyBase}-${n++}`} href={m[0]} target="_blank" rel="noopener noreferrer">
        {m[0]}
      </a>,
    );
    last = start + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** Renders non-overlapping top-level entities; nested ones inside are rendered recursively. */
export function renderEntities(text: string, entities: Entity[], onMention?: (userId: number) => void, base = 0): ReactNode[] {
  const sorted = [...entities]
    .filter((e) => e.length > 0 && e.offset >= base && e.offset + e.length <= base + text.length)
    .sort((a, b) => a.offset - b.offset || b.length - a.length);
  const out: ReactNode[] = [];
  let pos = base;
  let key = 0;
  let i = 0;
  while (i < sorted.length) {
    const e = sorted[i] as Entity;
    if (e.offset < pos) {
      i++;
      continue;
    }
    if (e.offset > pos) out.push(...plain(text.slice(pos - base, e.offset - base), base, key++));
    const end = e.offset + e.length;
    const inner = sorted.filter((x, j) => j > i && x.offset >= e.offset && x.offset + x.length <= end);
    const segment = text.slice(e.offset - base, end - base);
    out.push(wrap(e, segment, inner.length ? renderEntities(segment, inner, onMention, e.offset) : segment, key++, onMention));
    pos = end;
    i++;
  }
  if (pos - base < text.length) out.push(...plain(text.slice(pos - base), base, key++));
  return out;
}

function plain(text: string, base: number, key: number): ReactNode[] {
  return base === 0 ? linkify(text, `l${key}`) : [text];
}

export function RichText({ text, entities, onMention }: { text: string; entities: Entity[]; onMention?: (userId: number) => void }) {
  return <>{renderEntities(text, entities, onMention)}</>;
}
