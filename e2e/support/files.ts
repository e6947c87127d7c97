import type { Page } from '@playwright/test'

// Uploads in the browser (issue 21): a drop of files on an element, and a paste into one, as the
// browser itself dispatches them (a DataTransfer holding real File objects).

type FileSpec = { name: string; type: string; bytes: Buffer }
const wire = (files: FileSpec[]) => files.map((f) => ({ name: f.name, type: f.type, data: f.bytes.toString('base64') }))

/** Drops files on the element matching `selector` (dragenter, dragover, drop). */
export const dropFiles = (page: Page, selector: string, files: FileSpec[]) => dispatch(page, selector, files, 'drop')

/** Pastes files into the element matching `selector`, as a paste of copied images does. */
export const pasteFiles = (page: Page, selector: string, files: FileSpec[]) => dispatch(page, selector, files, 'paste')

async function dispatch(page: Page, selector: string, files: FileSpec[], how: 'drop' | 'paste'): Promise<void> {
  await page.evaluate(
    ({ selector, files, how }) => {
      const dt = new DataTransfer()
      for (const f of files) {
        const bytes = Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0))
        dt.items.add(new File([bytes], f.name, { type: f.type }))
      }
      const target = document.querySelector(selector) as HTMLElement
      if (how === 'paste') {
        target.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }))
        return
      }
      for (const type of ['dragenter', 'dragover', 'drop']) {
        target.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }))
      }
    },
    { selector, files: wire(files), how },
  )
}
