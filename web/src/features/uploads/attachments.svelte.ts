import { Draft, files, toasts } from '../../lib/state'

/**
 * The files being attached to one message box (issue 21): the room composer and a thread's reply box
 * each hold one. Files come from the picker, drag and drop or paste and upload at once; the message
 * is sent with their ids once every upload has finished.
 */
export class Attachments {
  drafts = $state<Draft[]>([])
  dropping = $state(false)
  readonly #roomId: () => string

  constructor(roomId: () => string) {
    this.#roomId = roomId
  }

  /** The ids of the finished uploads, in the order attached. */
  get ready(): string[] {
    return this.drafts.filter((d) => d.status === 'done').map((d) => d.upload?.id as string)
  }

  get uploading(): boolean {
    return this.drafts.some((d) => d.status === 'uploading')
  }

  add(list: FileList | File[] | null | undefined): void {
    const picked = [...(list ?? [])]
    if (picked.length === 0) return
    const room = files.limits.maxPerMessage - this.drafts.filter((d) => d.status !== 'failed').length
    if (picked.length > room) toasts.error(`A message can carry at most ${files.limits.maxPerMessage} files.`)
    for (const file of picked.slice(0, Math.max(0, room))) {
      this.drafts.push(new Draft(this.#roomId(), file))
      void this.drafts[this.drafts.length - 1].start(files.limits.maxBytes)
    }
  }

  remove = (draft: Draft): void => {
    draft.cancel()
    this.drafts = this.drafts.filter((d) => d.key !== draft.key)
  }

  /** Forgets every file (after sending: the message holds them now). */
  clear(): void {
    for (const d of this.drafts) d.dispose()
    this.drafts = []
  }

  pasted = (event: ClipboardEvent): void => {
    const pastedFiles = event.clipboardData?.files
    if (pastedFiles && pastedFiles.length > 0) {
      event.preventDefault()
      this.add(pastedFiles)
    }
  }

  dragover = (event: DragEvent): void => {
    if (!event.dataTransfer?.types.includes('Files')) return
    event.preventDefault()
    this.dropping = true
  }

  dragleave = (): void => {
    this.dropping = false
  }

  dropped = (event: DragEvent): void => {
    this.dropping = false
    if (!event.dataTransfer?.files.length) return
    event.preventDefault()
    this.add(event.dataTransfer.files)
  }
}
