/** A WAV file imported `with { type: "file" }`: Bun gives its path (inside `$bunfs` in a compiled binary). */
declare module "*.wav" {
  const path: string;
  export default path;
}
