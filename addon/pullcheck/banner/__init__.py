"""The in-page banner: plain JavaScript and CSS served from /__pullcheck__/."""
