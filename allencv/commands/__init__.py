from allencv.commands.serve import Serve
