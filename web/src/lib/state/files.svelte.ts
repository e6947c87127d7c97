import type { AttachmentDto, LinkDto, UploadDto, UploadLimitsDto } from '@contract/uploads'
import { ApiError, send } from '../api'
import { session } from './session.svelte'

/** Limits used until the server's are known (the server enforces its own either way). */
const DEFAULT_LIMITS: UploadLimitsDto = { maxBytes: 10 * 1024 * 1024, maxPerMessage: 5, maxPixels: 40_000_000 }
/** A link is asked again this long before it expires. */
const REFRESH_BEFORE_MS = 60_000

/** One file being attached in the composer: its progress, then its upload id (or why it failed). */
export class Draft {
  readonly key = crypto.randomUUID()
  progress = $state(0)
  status = $state<'uploading' | 'done' | 'failed'>('uploading')
  error = $state<string | null>(null)
  upload = $state<UploadDto | null>(null)
  /** A local preview of an image while it is being sent. */
  readonly preview: string | null
  #xhr: XMLHttpRequest | null = null

  constructor(
    readonly roomId: string,
    readonly file: File,
  ) {
    this.preview = /^image\/(png|jpeg|gif|webp)$/.test(file.type) ? URL.createObjectURL(file) : null
  }

  /** Uploads the raw bytes with progress (fetch has none for uploads); resolves when done or failed. */
  start(maxBytes: number): Promise<void> {
    if (this.file.size > maxBytes) {
      this.fail(`${this.file.name} is too large: files can be at most ${formatSize(maxBytes)}.`)
      return Promise.resolve()
    }
    return new Promise((done) => {
      const xhr = new XMLHttpRequest()
      this.#xhr = xhr
      xhr.open('POST', `/api/rooms/${this.roomId}/uploads?name=${encodeURIComponent(this.file.name || 'pasted')}`)
      xhr.setRequestHeader('Content-Type', 'application/octet-stream')
      const token = session.token
      if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`)
      xhr.responseType = 'json'
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) this.progress = e.loaded / e.total
      }
      xhr.onload = () => {
        const body = xhr.response as { upload?: UploadDto; error?: { message: string } } | null
        if (xhr.status === 201 && body?.upload) {
          this.upload = body.upload
          this.progress = 1
          this.status = 'done'
        } else this.fail(body?.error?.message ?? `${this.file.name} could not be uploaded.`)
        done()
      }
      xhr.onerror = () => {
        this.fail(`${this.file.name} could not be uploaded (connection lost).`)
        done()
      }
      xhr.onabort = () => done()
      xhr.send(this.file)
    })
  }

  cancel(): void {
    this.#xhr?.abort()
    this.dispose()
  }

  dispose(): void {
    if (this.preview) URL.revokeObjectURL(this.preview)
  }

  private fail(message: string) {
    this.status = 'failed'
    this.error = message
  }
}

/**
 * Files (issue 21): the upload limits in force, and the short-lived signed links of attachments,
 * asked in batches per room (one request for what a screen of messages shows) and asked again before
 * they expire. A link the server leaves out (no access, deleted) stays absent.
 */
class Files {
  limits = $state<UploadLimitsDto>(DEFAULT_LIMITS)
  links = $state<Record<string, LinkDto>>({})
  /** The image open in the dialog: its room and attachment id. */
  viewing = $state<{ roomId: string; id: string } | null>(null)
  #wanted = new Map<string, string[]>()
  #asked = new Set<string>()
  #scheduled = false
  #limitsLoaded = false

  loadLimits(): void {
    if (this.#limitsLoaded) return
    this.#limitsLoaded = true
    send<{ limits: UploadLimitsDto }>('/api/uploads/limits').then(
      ({ limits }) => (this.limits = limits),
      () => (this.#limitsLoaded = false),
    )
  }

  /** The attachment's links, once fetched; asks for them (batched) when missing or about to expire. */
  link(roomId: string, attachment: AttachmentDto): LinkDto | undefined {
    const link = this.links[attachment.id]
    const fresh = link && Date.parse(link.expiresAt) - Date.now() > REFRESH_BEFORE_MS
    if (!fresh && !this.#asked.has(attachment.id)) {
      this.#asked.add(attachment.id)
      this.#wanted.set(roomId, [...(this.#wanted.get(roomId) ?? []), attachment.id])
      if (!this.#scheduled) {
        this.#scheduled = true
        setTimeout(() => this.#flush(), 0)
      }
    }
    return link
  }

  #flush(): void {
    this.#scheduled = false
    const wanted = [...this.#wanted]
    this.#wanted.clear()
    for (const [roomId, ids] of wanted) {
      for (let i = 0; i < ids.length; i += 100) {
        const batch = ids.slice(i, i + 100)
        send<{ links: LinkDto[] }>(`/api/rooms/${roomId}/uploads/links`, { method: 'POST', body: { ids: batch } })
          .then(({ links }) => {
            const next = { ...this.links }
            for (const link of links) next[link.id] = link
            this.links = next
            // Asked again after expiry, when something shows it.
            for (const link of links) {
              const wait = Math.max(0, Date.parse(link.expiresAt) - Date.now() - REFRESH_BEFORE_MS)
              setTimeout(() => this.#asked.delete(link.id), wait)
            }
          })
          .catch((err: unknown) => {
            if (!(err instanceof ApiError) || err.status >= 500 || err.status === 0) {
              setTimeout(() => batch.forEach((id) => this.#asked.delete(id)), 5000)
            }
          })
      }
    }
  }

  open(roomId: string, id: string): void {
    this.viewing = { roomId, id }
  }

  close(): void {
    this.viewing = null
  }
}

export const files = new Files()

export function formatSize(n: number): string {
  if (n >= 1024 * 1024) return `${Math.round((n / (1024 * 1024)) * 10) / 10} MB`
  if (n >= 1024) return `${Math.round(n / 1024)} kB`
  return `${n} B`
}

/** What a file card says the type is: the sniffed type, or the name's extension when it is unknown. */
export function typeLabel(attachment: AttachmentDto): string {
  if (attachment.contentType === 'application/pdf') return 'PDF'
  if (attachment.contentType === 'application/zip') return 'ZIP archive'
  if (attachment.kind === 'image') return attachment.contentType.replace('image/', '').toUpperCase()
  const ext = /\.([A-Za-z0-9]{1,8})$/.exec(attachment.name)?.[1]
  return ext ? `${ext.toUpperCase()} file` : 'File'
}
