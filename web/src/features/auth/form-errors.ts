import { ApiError, errorMessage } from '../../lib/api'
import { fieldLabel } from '../../lib/format'

export type FormErrors = { form?: string; fields: Record<string, string> }

/**
 * Turns a failed submit into what the form shows: each field's problem under the field ("Username
 * is already taken"), anything else as one message above the buttons. `labels` names fields the way
 * their form labels them (the API's `login` is "Username or email" on screen).
 */
export function toFormErrors(
  err: unknown,
  knownFields: readonly string[],
  labels: Readonly<Record<string, string>> = {},
): FormErrors {
  if (!(err instanceof ApiError)) return { form: errorMessage(err), fields: {} }
  const fields: Record<string, string> = {}
  const other: string[] = []
  for (const [path, problem] of Object.entries(err.fields)) {
    const field = path.split('.')[0] ?? path
    const label = labels[field] ?? fieldLabel(field)
    if (knownFields.includes(field)) fields[field] ??= `${label} ${problem}.`
    else other.push(`${label} ${problem}.`)
  }
  const form = Object.keys(fields).length > 0 && other.length === 0 ? undefined : [err.message, ...other].join(' ')
  return { form, fields }
}
