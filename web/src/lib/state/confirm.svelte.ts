export type ConfirmRequest = {
  title: string
  message: string
  /** The destructive button's label ("Delete room"). */
  confirmLabel: string
}

/**
 * The one confirmation dialog for destructive actions (remove someone, leave, delete a room).
 *
 * @example if (await confirmation.ask({ title: 'Delete x?', message: '…', confirmLabel: 'Delete room' })) …
 */
class Confirmation {
  request = $state<ConfirmRequest | null>(null)
  #resolve: ((ok: boolean) => void) | null = null

  /** Opens the dialog; resolves true if the person confirms, false on Cancel or Escape. */
  ask(request: ConfirmRequest): Promise<boolean> {
    this.#resolve?.(false)
    this.request = request
    return new Promise((resolve) => (this.#resolve = resolve))
  }

  answer(ok: boolean): void {
    const resolve = this.#resolve
    this.#resolve = null
    this.request = null
    resolve?.(ok)
  }
}

export const confirmation = new Confirmation()
