import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors';
import { translate, type Key, type Lang, type Vars } from '../i18n/index';
import { durationText, errorText, isRetryable } from './errorText';

const tr = (lang: Lang) => (key: Key, vars?: Vars) => translate(lang, key, vars);
const invalid = (field: string, message: string) => new ApiError(422, { code: 'validation_failed', message, field });

describe('errorText', () => {
  it('names the size limit a refused upload broke, in the UI language', () => {
    const file = new ApiError(413, { code: 'file_too_large', message: 'a file may have at most 2147483648 bytes' });
    const image = new ApiError(413, { code: 'file_too_large', message: 'an image may have at most 52428800 bytes' });
    expect(errorText(file, tr('en'), { lang: 'en' })).toBe('The file is too big: a file may be at most 2\u00a0GB.');
    expect(errorText(image, tr('ru'), { lang: 'ru' })).toBe('Картинка слишком большая: картинка может быть не больше 50\u00a0МБ.');
    // A message of another shape still reads as the code says.
    expect(errorText(new ApiError(413, { code: 'file_too_large', message: 'too big' }), tr('ru'))).toBe('Файл слишком большой для загрузки.');
    expect(errorText(new ApiError(413, { code: 'quota_exceeded', message: 'this upload would take you past your storage quota' }), tr('en'))).toBe(
      'Your storage is full: delete files you no longer need, then try again.',
    );
  });

  it('names the size and limit of a picture refused as too large, in the UI language', () => {
    const pixels = new ApiError(422, { code: 'image_too_large', message: 'the picture is 10000×10000 pixels: at most 50000000 pixels are processed: this server does not take it' });
    const side = new ApiError(422, { code: 'image_too_large', message: 'the picture is too large to process: 30000×10 pixels: at most 20000 pixels a side: this server does not take it' });
    // (Russian groups thousands with a space, or not, by the ICU version.)
    const digits = (text: string) => text.replace(/(\d)[\s\u00a0\u202f](\d)/g, '$1$2');
    expect(errorText(pixels, tr('en'), { lang: 'en' })).toBe('The picture is too large: 10,000 × 10,000 pixels, and this server takes at most 50 megapixels.');
    expect(digits(errorText(pixels, tr('ru'), { lang: 'ru' }))).toBe('Картинка слишком большая: 10000 × 10000 пикселей, а сервер принимает не больше 50 мегапикселей.');
    expect(errorText(side, tr('en'), { lang: 'en' })).toBe('The picture is too large: 30,000 × 10 pixels, and this server takes at most 20,000 pixels a side.');
    expect(digits(errorText(side, tr('ru'), { lang: 'ru' }))).toBe('Картинка слишком большая: 30000 × 10 пикселей, а сервер принимает не больше 20000 пикселей по каждой стороне.');
    expect(errorText(new ApiError(422, { code: 'image_too_large', message: 'no' }), tr('en'))).toBe('The picture is too large for this server.');
    expect(errorText(new ApiError(409, { code: 'media_processing', message: 'the picture is being processed: try again in a moment' }), tr('ru'))).toBe(
      'Файл ещё обрабатывается. Попробуйте чуть позже.',
    );
  });

  it('translates the server’s validation rules, per field', () => {
    const e = invalid('text', 'must be at most 4096 UTF-16 code units');
    expect(errorText(e, tr('en'), { inField: true })).toBe('At most 4096 characters.');
    expect(errorText(e, tr('en'))).toBe('Message: at most 4096 characters.');
    expect(errorText(e, tr('ru'), { inField: true })).toBe('Не длиннее 4096 символов.');
    expect(errorText(invalid('username', 'must be 3 to 32 characters'), tr('ru'), { inField: true })).toBe('От 3 до 32 символов.');
    expect(errorText(invalid('username', 'must be 3 to 32 characters'), tr('en'), { inField: true })).toBe('3 to 32 characters.');
    expect(errorText(invalid('password', 'is too simple: use more different characters'), tr('ru'), { inField: true })).toBe(
      'Слишком простой: используйте больше разных символов.',
    );
    expect(errorText(invalid('password', 'must be at least 8 characters'), tr('ru'), { inField: true })).toBe('Не короче 8 символов.');
    expect(errorText(invalid('display_name', 'must be at most 64 characters'), tr('en'))).toBe('Display name: at most 64 characters.');
  });

  it('never shows a rule it does not know in English to a Russian reader', () => {
    expect(errorText(invalid('limit', 'must be 1 or more'), tr('ru'))).toBe('Недопустимое значение.');
  });

  it('reads the content pipeline’s rules and wrong_state reasons', () => {
    expect(errorText(invalid('summary_prompt', 'must contain {text}, where it goes'), tr('en'))).toBe('Summary prompt: must contain {text}, where it goes.');
    expect(errorText(invalid('base_url', 'must be an http(s) URL such as https://api.openai.com/v1'), tr('en'), { inField: true })).toBe('Must be an http(s) address, such as https://api.openai.com/v1.');
    expect(errorText(invalid('price_out', 'must be 0 to 1000 (US dollars per million tokens)'), tr('ru'), { inField: true })).toBe('От 0 до 1000 (долларов США за миллион токенов).');
    expect(errorText(invalid('file_id', 'the file is 70000000 bytes; a book may be at most 67108864'), tr('en'))).toBe('Book file: a book may be at most 64 MB.');
    expect(errorText(invalid('markdown', 'the text is 5000 UTF-16 units; a post may be at most 4096'), tr('en'), { inField: true })).toBe('The text is 5000 characters long; a post takes at most 4096.');
    const used = new ApiError(409, { code: 'wrong_state', message: 'every summarised block of this book has a post: summarise more of it' });
    expect(errorText(used, tr('en'))).toBe('Every summarised block of this book has a post already: summarise more of it first.');
    expect(errorText(new ApiError(409, { code: 'wrong_state', message: 'the model is still writing this post' }), tr('ru'))).toBe('Модель ещё пишет этот пост.');
  });

  it('reads Retry-After as a human duration with Russian plurals', () => {
    const throttled = (secs: number) => new ApiError(429, { code: 'too_many_requests', message: 'Try again in 897 seconds' }, secs);
    expect(errorText(throttled(897), tr('en'))).toBe('Too many attempts. Try again in 15 minutes.');
    expect(errorText(throttled(897), tr('ru'))).toBe('Слишком много попыток. Попробуйте через 15 минут.');
    expect(errorText(throttled(60), tr('ru'))).toBe('Слишком много попыток. Попробуйте через 1 минуту.');
    expect(errorText(throttled(3), tr('ru'))).toBe('Слишком много попыток. Попробуйте через 3 секунды.');
    expect(durationText(1260, tr('ru'))).toBe('21 минуту');
    expect(durationText(7200, tr('en'))).toBe('2 hours');
    expect(durationText(1, tr('en'))).toBe('1 second');
  });

  it('offers a retry only where one may succeed', () => {
    expect(isRetryable(invalid('text', 'too long'))).toBe(false);
    expect(isRetryable(new ApiError(403, { code: 'forbidden', message: 'no' }))).toBe(false);
    expect(isRetryable(new ApiError(429, { code: 'rate_limited', message: 'slow down' }, 3))).toBe(true);
    expect(isRetryable(new ApiError(503, { code: 'busy', message: 'busy' }))).toBe(true);
    expect(isRetryable(new ApiError(0, { code: 'network', message: 'network error' }))).toBe(true);
  });

  it('reads the jobs API\'s 409 as what it means, and any other 409 as a conflict', () => {
    const conflict = (message: string) => new ApiError(409, { code: 'conflict', message });
    expect(errorText(conflict('a cancelled job cannot be cancelled'), tr('en'))).toBe('This job cannot be cancelled: it is cancelled already.');
    expect(errorText(conflict('a dead job cannot be cancelled'), tr('ru'))).toBe('Эту задачу нельзя отменить: она уже провалена.');
    expect(errorText(conflict('a running job cannot be retried'), tr('ru'))).toBe('Эту задачу сейчас нельзя запустить: она выполняется.');
    expect(errorText(conflict('this conflicts with existing data'), tr('en'))).toBe('This conflicts with something that already exists.');
  });

  it('has a text for codes it does not know yet', () => {
    expect(errorText(new ApiError(409, { code: 'http_409', message: 'x' }), tr('ru'))).toBe('Не получилось.');
  });
});
