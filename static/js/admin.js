// @ts-check
// The admin pages work without JavaScript; this only adds conveniences.

import { wireCopyButtons } from './copy.js';

wireCopyButtons();
