import { render } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { RichText } from './RichText';

describe('RichText', () => {
  it('marks up entities at UTF-16 offsets', () => {
    const text = 'a👍b @bob bold';
    const { container } = render(
      <p>
        <RichText
          text={text}
          entities={[
            { type: 'mention', offset: 5, length: 4, user_id: 2 },
            { type: 'bold', offset: 10, length: 4 },
          ]}
        />
      </p>,
    );
    expect(container.querySelector('.mention')?.textContent).toBe('@bob');
    expect(container.querySelector('strong')?.textContent).toBe('bold');
    expect(container.textContent).toBe(text);
  });

  it('makes bare links clickable and keeps unsafe text_links inert', () => {
    const { container } = render(
      <p>
        <RichText text="see https://example.com/x. and evil" entities={[{ type: 'text_link', offset: 31, length: 4, url: 'javascript:alert(1)' }]} />
      </p>,
    );
    const links = [...container.querySelectorAll('a')];
    expect(links.map((a) => a.getAttribute('href'))).toEqual(['https://example.com/x']);
  });
});
