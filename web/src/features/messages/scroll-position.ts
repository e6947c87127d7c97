import type { ScrollPosition } from '../../lib/state'

/** Within this many pixels of the bottom counts as "at" it. */
export const NEAR_BOTTOM = 48

export const isAtBottom = (el: HTMLElement) => el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM

/** Where the reader is: at the bottom, or the first message in view and how far from the top it sits. */
export function readPosition(el: HTMLElement): ScrollPosition | null {
  if (isAtBottom(el)) return 'bottom'
  const top = el.getBoundingClientRect().top
  for (const item of el.querySelectorAll<HTMLElement>('[data-seq]')) {
    const box = item.getBoundingClientRect()
    if (box.bottom > top) return { seq: Number(item.dataset.seq), offset: box.top - top }
  }
  return null
}

/** Puts that message back at the same offset; without one (or if it is gone), opens at the newest. */
export function restorePosition(el: HTMLElement, saved: ScrollPosition | null): void {
  const anchor = saved && saved !== 'bottom' ? el.querySelector(`[data-seq="${saved.seq}"]`) : null
  if (anchor && saved && saved !== 'bottom')
    el.scrollTop += anchor.getBoundingClientRect().top - el.getBoundingClientRect().top - saved.offset
  else el.scrollTop = el.scrollHeight
}
