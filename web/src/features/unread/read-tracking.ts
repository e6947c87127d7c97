// Issue 18: what counts as "shown" — a message whose top is inside the scroller, in a visible tab
// that has the focus. The pointer never moves for a message the person could not have seen.

/** Whether this tab may move read pointers now. */
export const tabIsReading = () => document.visibilityState === 'visible' && document.hasFocus()

/** The highest seq whose message starts inside the scroller's view (0 if none). */
export function lastShownSeq(scroller: HTMLElement): number {
  const view = scroller.getBoundingClientRect()
  const items = scroller.querySelectorAll<HTMLElement>('[data-seq]')
  for (let i = items.length - 1; i >= 0; i--) {
    const box = items[i].getBoundingClientRect()
    if (box.top < view.bottom && box.bottom > view.top) return Number(items[i].dataset.seq)
  }
  return 0
}
