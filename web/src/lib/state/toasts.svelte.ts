export type Toast = { id: number; kind: 'error' | 'info'; message: string }

/** How long a toast stays up. */
export const TOAST_MS = 5000

/** Short-lived notifications (errors mostly); each vanishes after TOAST_MS or when dismissed. */
class Toasts {
  items = $state<Toast[]>([])
  #next = 1

  show(message: string, kind: Toast['kind'] = 'error'): void {
    // The same message twice in a row (e.g. a retry storm) is shown once.
    if (this.items.some((t) => t.message === message)) return
    const id = this.#next++
    this.items.push({ id, kind, message })
    setTimeout(() => this.dismiss(id), TOAST_MS)
  }

  error(message: string): void {
    this.show(message, 'error')
  }

  info(message: string): void {
    this.show(message, 'info')
  }

  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id)
  }
}

export const toasts = new Toasts()
