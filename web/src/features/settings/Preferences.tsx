import { useI18n, type Lang } from '../../i18n/index';
import { setTheme, useTheme, type ThemeChoice } from '../../state/theme';

/** Theme and language pickers (settings page, and a compact pair on the sign-in pages). */
export function Preferences({ compact }: { compact?: boolean }) {
  const { t, lang, setLang } = useI18n();
  const choice = useTheme();
  return (
    <div className={compact ? 'prefs prefs-compact' : 'prefs'}>
      <label className="select-field">
        <span className={compact ? 'visually-hidden' : ''}>{t('settings.language')}</span>
        <select value={lang} onChange={(e) => setLang(e.target.value as Lang)} aria-label={t('settings.language')}>
          <option value="en">English</option>
          <option value="ru">Русский</option>
        </select>
      </label>
      <label className="select-field">
        <span className={compact ? 'visually-hidden' : ''}>{t('settings.theme')}</span>
        <select value={choice} onChange={(e) => setTheme(e.target.value as ThemeChoice)} aria-label={t('settings.theme')}>
          <option value="system">{t('settings.themeSystem')}</option>
          <option value="light">{t('settings.themeLight')}</option>
          <option value="dark">{t('settings.themeDark')}</option>
        </select>
      </label>
    </div>
  );
}
