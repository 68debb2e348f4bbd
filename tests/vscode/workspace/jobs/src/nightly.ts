export async function main() {
  console.log("nightly run");
}
