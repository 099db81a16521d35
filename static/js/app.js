// Safeguarding escalations: front-end entry point, loaded by templates/base.html as
// <script type="module">. Browsers that do not support ES modules skip it and get the
// no-JavaScript version of every component (progressive enhancement).
import { initAll } from "../govuk/govuk-frontend.min.js";

// Initialises every element with a data-module="govuk-..." attribute on the page
// (error summary focus, notification banners, header/service navigation menu, password input,
// accordions, tabs, character count, buttons' double-click prevention, and so on).
initAll();
