export async function main(): Promise<void> {
  console.log("removing notes older than 90 days");
}
