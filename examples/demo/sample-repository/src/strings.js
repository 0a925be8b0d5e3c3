/** Makes a title shout. */
export function shout(text) {
  return `${text.toUpperCase()}!`;
}
