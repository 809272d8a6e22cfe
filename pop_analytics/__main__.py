import sys

from . import isolation

isolation.start_early(sys.argv[1:])  # before the command line's imports, which it overlaps

from .cli import main  # noqa: E402

sys.exit(main())
