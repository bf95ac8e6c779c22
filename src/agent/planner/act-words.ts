/**
 * Words that point at more than one tool, each declared once and given to every declaration that
 * reads it: "start a 4090" deploys while "start i-3" resumes, and "show" can list offers or
 * instances. The slots found decide between them.
 */

export const START = /\bstart\b/;

export const LOOK = /\b(?:show|list|what|which|any|see|display)\b/;

export const GET_ME = /\b(?:get|give|grab)\s+(?:me|us)\b/;
