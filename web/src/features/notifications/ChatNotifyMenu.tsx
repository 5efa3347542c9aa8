import { useCallback, useRef, useState, type RefObject } from 'react';
import type { ChatInfo, ChatSetting, ChatSettingUpdate, Level } from '../../api/types';
import { formatDateTime } from '../../i18n/format';
import { useI18n } from '../../i18n/index';
import { Icon } from '../../ui/Icon';
import { useMenu } from '../../ui/useMenu';
import { useNotifyEnabled } from './cache';
import {
  LEVELS,
  MUTES,
  effectiveLevel,
  isMuted,
  levelChange,
  muteChange,
  mutedForever,
  mutedUntil,
  useChatSettings,
  useNotifySettings,
  useSetChatNotify,
  type MuteChoice,
} from './levels';

/**
 * The chat header's bell: what this chat notifies about (all, mentions and replies, nothing)
 * and a mute for a while. Its icon is crossed out while the chat is muted. Not shown when the
 * server runs no notify service. A refused change goes to `onError` (the chat's alert line).
 */
export function ChatNotifyMenu({ chat, onError }: { chat: ChatInfo; onError: (e: unknown) => void }) {
  const enabled = useNotifyEnabled();
  const { t } = useI18n();
  const own = useChatSettings(enabled);
  const settings = useNotifySettings(enabled);
  const save = useSetChatNotify(chat.id);
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const close = useCallback(() => {
    setOpen(false);
    if (menu.current?.contains(document.activeElement)) button.current?.focus({ preventScroll: true });
  }, []);
  if (!enabled) return null;
  const setting = own.data?.get(chat.id);
  const muted = isMuted(setting, settings.data, chat.kind);
  const change = (update: ChatSettingUpdate) => {
    close();
    save.mutate(update, { onError });
  };
  return (
    <div className="menu-anchor">
      <button
        ref={button}
        type="button"
        className={`icon-button${open ? ' active' : ''}`}
        onClick={() => setOpen((v) => !v)}
        aria-label={t('notify.chatMenu')}
        title={t('notify.chatMenu')}
        aria-haspopup="menu"
        aria-expanded={open}
        data-testid="chat-notify-button"
        data-muted={muted || undefined}
      >
        <Icon name={muted ? 'bellOff' : 'bell'} />
      </button>
      {open ? (
        <NotifyItems
          menu={menu}
          anchor={button}
          onClose={close}
          setting={setting}
          level={effectiveLevel(setting, settings.data, chat.kind)}
          onChange={change}
        />
      ) : null}
    </div>
  );
}

/** The open menu: the levels (the one in force checked, the default marked), then the mute. */
function NotifyItems({
  menu,
  anchor,
  onClose,
  setting,
  level,
  onChange,
}: {
  menu: RefObject<HTMLDivElement | null>;
  anchor: RefObject<HTMLButtonElement | null>;
  onClose: () => void;
  setting: ChatSetting | undefined;
  level: Level;
  onChange: (update: ChatSettingUpdate) => void;
}) {
  const { t, lang } = useI18n();
  useMenu(menu, onClose, anchor);
  const until = mutedUntil(setting);
  return (
    <div className="menu notify-menu" role="menu" ref={menu} aria-label={t('notify.chatMenu')} data-testid="chat-notify-menu">
      <p className="menu-label">{t('notify.levelLabel')}</p>
      {LEVELS.map((l) => (
        <button key={l} type="button" role="menuitemradio" aria-checked={level === l} onClick={() => onChange(levelChange(setting, l))}>
          <Icon name="check" size={16} className={level === l ? '' : 'invisible'} /> {t(`notify.level.${l}`)}
          {!setting?.level && level === l ? <span className="muted small">{t('notify.byDefault')}</span> : null}
        </button>
      ))}
      <hr />
      {until !== null ? (
        <>
          <p className="menu-label" data-testid="muted-until">
            {mutedForever(until) ? t('notify.muted') : t('notify.mutedUntil', { time: formatDateTime(until, lang) })}
          </p>
          <button type="button" role="menuitem" onClick={() => onChange(muteChange(setting, null))}>
            <Icon name="bell" size={16} /> {t('notify.unmute')}
          </button>
        </>
      ) : (
        <>
          <p className="menu-label">{t('notify.muteLabel')}</p>
          {(Object.keys(MUTES) as MuteChoice[]).map((m) => (
            <button key={m} type="button" role="menuitem" onClick={() => onChange(muteChange(setting, m))}>
              <Icon name="bellOff" size={16} /> {t(`notify.${m}`)}
            </button>
          ))}
        </>
      )}
    </div>
  );
}
