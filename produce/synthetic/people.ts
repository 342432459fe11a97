/** Word lists for made-up profiles, in the style of the reference data (Southern California addresses). */

export const FEMALE_FIRST_NAMES = [
  "Victoria", "Shannon", "Courtney", "Hannah", "Jessica", "Ashley", "Emily", "Sarah", "Megan", "Laura",
  "Rachel", "Amanda", "Nicole", "Stephanie", "Maria", "Olivia", "Sophia", "Grace", "Chloe", "Natalie",
] as const;

export const MALE_FIRST_NAMES = [
  "Matthew", "Robert", "Justin", "Edward", "Cameron", "David", "James", "Michael", "Daniel", "Joseph",
  "Andrew", "Ryan", "Brandon", "Kevin", "Jason", "Eric", "Steven", "Thomas", "Anthony", "Mark",
] as const;

export const LAST_NAMES = [
  "Phillips", "Clark", "Castillo", "Smith", "Reyes", "Sheppard", "Fuller", "Eaton", "Johnson", "Simpson",
  "Vasquez", "Garcia", "Martinez", "Nguyen", "Kim", "Lopez", "Brown", "Davis", "Wilson", "Anderson",
  "Thomas", "Moore", "Jackson", "White", "Harris", "Lewis", "Walker", "Young", "Allen", "Wright",
] as const;

export const STREET_NAMES = [
  "Wilkins", "Steven", "Dawson", "Acevedo", "Bowers", "Angela", "Obrien", "Lori", "Edward", "Bradley",
  "Noble", "Gary", "Maple", "Cedar", "Sunset", "Ocean", "Vista", "Canyon", "Palm", "Mission",
] as const;

export const STREET_SUFFIXES = ["Cliffs", "Vista", "Lodge", "Mountain", "Expressway", "Plaza", "Streets", "Plain", "Throughway", "Shoals", "Cape", "Ridges", "Avenue", "Drive", "Court"] as const;

export const CITIES: readonly { city: string; zips: readonly number[] }[] = [
  { city: "Los Angeles", zips: [90010, 90018, 90065, 90026, 90042] },
  { city: "Long Beach", zips: [90808, 90815, 90802] },
  { city: "Santa Monica", zips: [90405, 90401] },
  { city: "San Fernando", zips: [91340] },
  { city: "Pearblossom", zips: [93553] },
  { city: "Gardena", zips: [90249] },
  { city: "Sierra Madre", zips: [91024] },
  { city: "Toluca Lake", zips: [91610] },
  { city: "North Hollywood", zips: [91606, 91601] },
  { city: "Pasadena", zips: [91101, 91103, 91106] },
  { city: "Burbank", zips: [91502, 91505] },
  { city: "Glendale", zips: [91203, 91206] },
];
