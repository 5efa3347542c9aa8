/**
 * Whether an element is in or near the scrolled view (600 px ahead), so what it shows (a
 * picture's link, a person's profile) is asked for only then; once near, it stays so. Always
 * true without IntersectionObserver.
 */
import { useEffect, useState, type RefObject } from 'react';

export function useNearView(ref: RefObject<Element | null>): boolean {
  const [near, setNear] = useState(typeof IntersectionObserver === 'undefined');
  useEffect(() => {
    const el = ref.current;
    if (near || !el || typeof IntersectionObserver === 'undefined') return;
    const io = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && setNear(true), { rootMargin: '600px 0px' });
    io.observe(el);
    return () => io.disconnect();
  }, [ref, near]);
  return near;
}
