import { useQuery } from '@tanstack/react-query';
import { useCallback, useRef, useState, type RefObject } from 'react';
import { api } from '../../api/endpoints';
import type { BotCommand } from '../../api/types';
import { useI18n } from '../../i18n/index';
import { keys } from '../../state/keys';
import { useMenu } from '../../ui/useMenu';

/** A bot's command menu in a language (`GET /bots/{id}/commands`; the bot's default list when it has none for it). */
export function useBotCommands(botId: number | null | undefined, lang: string) {
  const id = botId ?? 0;
  return useQuery({
    queryKey: keys.botCommands(id, lang),
    queryFn: () => api.botCommands(id, lang),
    enabled: id > 0,
    staleTime: 60_000,
  });
}

/**
 * The composer's "/" button in a direct chat with a bot: the bot's commands (setMyCommands) in
 * the UI language, each with its description; picking one sends `/command`. Absent while the
 * bot has none.
 */
export function CommandMenu({ botId, onPick }: { botId: number; onPick: (command: string) => void }) {
  const { t, lang } = useI18n();
  const commands = useBotCommands(botId, lang);
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const close = useCallback(() => {
    setOpen(false);
    if (menu.current?.contains(document.activeElement)) button.current?.focus({ preventScroll: true });
  }, []);
  const list = commands.data ?? [];
  if (list.length === 0) return null;
  return (
    <div className="menu-anchor command-anchor">
      <button
        ref={button}
        type="button"
        className={`icon-button composer-tool command-button${open ? ' active' : ''}`}
        onClick={() => setOpen((v) => !v)}
        aria-label={t('bots.commands')}
        title={t('bots.commands')}
        aria-haspopup="menu"
        aria-expanded={open}
        data-testid="bot-commands-button"
      >
        <span aria-hidden="true">/</span>
      </button>
      {open ? (
        <CommandItems
          menu={menu}
          anchor={button}
          commands={list}
          onClose={close}
          onPick={(c) => {
            close();
            onPick(`/${c.command}`);
          }}
        />
      ) : null}
    </div>
  );
}

function CommandItems({
  menu,
  anchor,
  commands,
  onClose,
  onPick,
}: {
  menu: RefObject<HTMLDivElement | null>;
  anchor: RefObject<HTMLButtonElement | null>;
  commands: BotCommand[];
  onClose: () => void;
  onPick: (command: BotCommand) => void;
}) {
  const { t } = useI18n();
  useMenu(menu, onClose, anchor);
  return (
    <div className="menu command-menu" role="menu" ref={menu} aria-label={t('bots.commands')} data-testid="bot-commands">
      {commands.map((c) => (
        <button key={c.command} type="button" role="menuitem" onClick={() => onPick(c)} data-testid="bot-command">
          <span className="command-name">/{c.command}</span>
          <span className="command-description muted small">{c.description}</span>
        </button>
      ))}
    </div>
  );
}
