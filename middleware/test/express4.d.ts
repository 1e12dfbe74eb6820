/**
 * `express4` is Express 4 installed under an alias (for the compatibility test). Its API is typed
 * here with the Express 5 types, which cover everything the test uses.
 */
declare module 'express4' {
  import express from 'express';
  export default express;
}
