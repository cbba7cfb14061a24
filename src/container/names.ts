// Names for containers nobody named, as Docker makes them: an adjective and a scientist.
const ADJECTIVES = [
  "admiring", "amazing", "bold", "brave", "busy", "calm", "clever", "cool", "dazzling", "eager", "elegant", "epic",
  "fervent", "festive", "focused", "friendly", "gallant", "gifted", "happy", "hopeful", "jolly", "keen", "kind",
  "loving", "lucid", "magical", "modest", "nifty", "nostalgic", "optimistic", "peaceful", "pensive", "quirky",
  "relaxed", "serene", "sharp", "silly", "stoic", "sweet", "tender", "trusting", "upbeat", "vibrant", "wizardly",
  "wonderful", "youthful", "zealous", "zen",
];
const NAMES = [
  "agnesi", "babbage", "bardeen", "bell", "blackwell", "bohr", "curie", "darwin", "dijkstra", "einstein", "euclid",
  "euler", "faraday", "fermat", "feynman", "franklin", "galileo", "gauss", "goldberg", "hamilton", "hawking",
  "hopper", "hypatia", "johnson", "kepler", "knuth", "lamarr", "lovelace", "maxwell", "meitner", "mirzakhani",
  "newton", "noether", "pasteur", "perlman", "planck", "ritchie", "shannon", "swartz", "tesla", "thompson",
  "torvalds", "turing", "volta", "wiles", "wozniak", "wright", "yalow",
];

export function randomName(withNumber = false): string {
  const pick = <T>(a: readonly T[]) => a[Math.floor(Math.random() * a.length)]!;
  return `${pick(ADJECTIVES)}_${pick(NAMES)}${withNumber ? Math.floor(Math.random() * 10) : ""}`;
}
