// Handler paths of the functions package, shared by the stacks.
export const FUNCTIONS = "packages/functions/src";

export function handlerOf(name: string) {
  return `${FUNCTIONS}/${name}.handler`;
}
