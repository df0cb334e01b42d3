function gradcheck_serve()
%GRADCHECK_SERVE Answers gradcheck's protocol (docs/protocol.md) with the course's nnCostFunction.
%   Reads one JSON request per line on stdin, calls the nnCostFunction found on the path with its
%   exact course signature
%     [J grad] = nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda)
%   (parameters unrolled column by column, labels 1..K), and writes one JSON reply per line.
%   `gradcheck check --octave DIR` starts it with DIR on the path; nothing in DIR is changed.
%
%   Stdout carries replies only: whatever the student's code prints (unsuppressed assignments,
%   disp, printf, fprintf(1, ...)) is captured by evalc and sent in the reply's "output" field,
%   which gradcheck shows as a hint and never judges. Errors name the student's file and line.
  more off;
  % The course's sigmoid.m and harmless pause/keyboard, behind the student's own files (gradcheck
  % writes them beside this driver).
  warning('off', 'Octave:shadowed-function');
  addpath(fullfile(fileparts(mfilename('fullpath')), 'course'), '-end');
  % Plotting left in (there is no screen: Octave's figure errors) and exit (it would end the check
  % with no word), ahead of Octave's own.
  addpath(fullfile(fileparts(mfilename('fullpath')), 'ahead'), '-begin');
  while true
    % input() hands over each line as it comes; fgetl(stdin) would wait for a full buffer or EOF.
    try
      line = input('', 's');
    catch
      break;                                   % gradcheck closed our stdin: done
    end
    if isempty(strtrim(line))
      continue;
    end
    request = jsondecode(line);
    [reply, printed] = answer(request);
    if ~isempty(printed)
      reply = [reply(1:end - 1) ', "output": ' jsonencode(printed) '}'];
    end
    fprintf(stdout, '%s\n', reply);
    fflush(stdout);
  end
end

function [reply, printed] = answer(request)
  % Protocol version 2: the problem comes once, in a request with "sizes"; later requests carry a
  % new "theta", or "at": points near the last theta, each one call of nnCostFunction.
  persistent problem Theta;
  printed = '';
  try
    if isfield(request, 'sizes')
      problem = course_problem(request);
    elseif isempty(problem)
      error('gradcheck:protocol', 'a request without the problem before any request with it');
    end
    if isfield(request, 'theta')
      sizes = problem.sizes;
      Theta = {layer(request.theta, 1, sizes(2), sizes(1) + 1), layer(request.theta, 2, sizes(3), sizes(2) + 1)};
      points = {Theta};
    elseif isfield(request, 'at') && ~isempty(Theta)
      points = near(Theta, request);
    else
      error('gradcheck:protocol', 'a request with neither "theta" nor "at" after a theta');
    end
  catch err
    reply = error_reply(request.id, err.message);
    return;
  end
  Js = zeros(1, numel(points));
  for p = 1:numel(points)
    [J, grad, said, failure] = call_student(problem, points{p});
    printed = [printed said];
    if ~isempty(failure)
      reply = error_reply(request.id, failure);
      return;
    end
    Js(p) = J;
  end
  if isfield(request, 'at')
    reply = sprintf('{"id": %d, "protocol": 2, "J": [%s]}', request.id, strjoin(arrayfun(@number, Js, 'UniformOutput', false), ', '));
    return;
  end
  reply = sprintf('{"id": %d, "protocol": 2, "J": %s', request.id, number(J));
  if any(strcmp(request.want, 'gradient'))
    sizes = problem.sizes;
    n1 = sizes(2) * (sizes(1) + 1);
    G1 = reshape(grad(1:n1), sizes(2), sizes(1) + 1);
    G2 = reshape(grad(n1 + 1:end), sizes(3), sizes(2) + 1);
    reply = [reply ', "gradient": [' rows(G1) ', ' rows(G2) ']'];
  end
  reply = [reply '}'];
end

function problem = course_problem(request)
  % The request's problem, if it is the course's network.
  sizes = request.sizes(:)';
  if numel(sizes) ~= 3 || ~strcmp(request.cost, 'sigmoid-logistic') || ~all(strcmp(request.activations, 'sigmoid'))
    error('gradcheck:unsupported', ['nnCostFunction takes the course''s network: 3 layers, sigmoid units, ' ...
          'the logistic cost; run gradcheck with --arch s1-s2-s3 and the default --activation and --cost']);
  end
  if ~isfield(request, 'labels')
    error('gradcheck:labels', 'nnCostFunction takes class labels y in 1..K; the request has none');
  end
  problem.sizes = sizes;
  problem.X = reshape(request.X, [], sizes(1));
  problem.y = request.labels(:);
  problem.lambda = request.lambda;
end

function points = near(Theta, request)
  % Theta perturbed as each row [index, step] of "at" says: a coordinate of the protocol's order
  % (Theta1 row by row, then Theta2), or a row of "directions".
  [r1, c1] = size(Theta{1});
  [r2, c2] = size(Theta{2});
  flat = [reshape(Theta{1}', [], 1); reshape(Theta{2}', [], 1)];
  at = reshape(request.at, [], 2);
  points = cell(1, rows_of(at));
  for p = 1:rows_of(at)
    point = flat;
    if isfield(request, 'directions')
      directions = request.directions;
      if iscell(directions)
        v = directions{at(p, 1) + 1}(:);
      else
        v = reshape(directions(at(p, 1) + 1, :), [], 1);
      end
      point = point + at(p, 2) * v;
    else
      point(at(p, 1) + 1) = point(at(p, 1) + 1) + at(p, 2);
    end
    points{p} = {reshape(point(1:r1 * c1), c1, r1)', reshape(point(r1 * c1 + 1:end), c2, r2)'};
  end
end

function n = rows_of(M)
  n = size(M, 1);
end

function [J, grad, printed, failure] = call_student(problem, Theta)
  % The student's call, its printing captured; an error keeps what was printed before it.
  sizes = problem.sizes;
  X = problem.X;
  y = problem.y;
  lambda = problem.lambda;
  nn_params = [Theta{1}(:); Theta{2}(:)];
  failure = '';
  student_error = [];
  J = [];
  grad = [];
  printed = evalc(["try\n" ...
                   "  [J, grad] = nnCostFunction(nn_params, sizes(1), sizes(2), sizes(3), X, y, lambda);\n" ...
                   "catch student_error\n" ...
                   "end"]);
  if ~isempty(student_error)
    failure = located(student_error);
    return;
  end
  failure = returned_problem(J, grad, sizes);
end

function problem = returned_problem(J, grad, sizes)
  % What is wrong with what nnCostFunction returned, in the student's terms ('' when nothing).
  problem = '';
  n1 = sizes(2) * (sizes(1) + 1);
  n2 = sizes(3) * (sizes(2) + 1);
  if ~isnumeric(J) && ~islogical(J)
    problem = sprintf('nnCostFunction returned J as a %s; expected one number', class(J));
  elseif isempty(J)
    problem = 'nnCostFunction returned J empty; expected one number (the cost)';
  elseif ~isscalar(J)
    problem = sprintf(['nnCostFunction returned J as a %s array; expected one number ' ...
                       '(sum over the m examples and the K classes: sum(sum(...)))'], shape(J));
  elseif ~isreal(J)
    problem = 'nnCostFunction returned a complex J; expected a real number (log of a negative number?)';
  elseif ~isnumeric(grad) && ~islogical(grad)
    problem = sprintf('nnCostFunction returned grad as a %s; expected a vector of numbers', class(grad));
  elseif numel(grad) ~= n1 + n2
    problem = sprintf(['nnCostFunction returned grad with %d entries; expected %d = %d + %d ' ...
                       '([Theta1_grad(:); Theta2_grad(:)], Theta1_grad %d x %d and Theta2_grad %d x %d)'], ...
                      numel(grad), n1 + n2, n1, n2, sizes(2), sizes(1) + 1, sizes(3), sizes(2) + 1);
    if numel(grad) == n1 && n1 ~= n2
      problem = [problem '; it holds as many as Theta1_grad alone: is Theta2_grad missing from grad?'];
    elseif numel(grad) == n2 && n1 ~= n2
      problem = [problem '; it holds as many as Theta2_grad alone: is Theta1_grad missing from grad?'];
    elseif isempty(grad)
      problem = [problem '; grad is empty'];
    end
  elseif ~isreal(grad)
    problem = 'nnCostFunction returned a complex grad; expected real numbers';
  end
end

function text = shape(M)
  text = strjoin(arrayfun(@num2str, size(M), 'UniformOutput', false), ' x ');
end

function text = located(err)
  % The error as the student should read it: their file and line first, no folders.
  message = strtrim(regexprep(err.message, '\s+', ' '));
  message = regexprep(message, '(/[^/\s]+)+/([^/\s]+\.m)', '$2');  % /some/folder/file.m -> file.m
  parse = regexp(message, '^parse error near line (\d+) of file (\S+) (.*?) >>> (.*?)[ ^]*$', 'tokens', 'once');
  if numel(parse) == 4
    text = sprintf('%s line %s: %s in: %s', parse{2}, parse{1}, parse{3}, strtrim(parse{4}));
    return;
  end
  if ~isempty(strfind(message, 'nnCostFunction: function called with too many outputs'))
    text = 'nnCostFunction returns one value; expected two: function [J grad] = nnCostFunction(...)';
    return;
  end
  if regexp(message, '^''(J|grad)'' undefined')
    which = regexp(message, '^''(J|grad)''', 'tokens', 'once'){1};
    message = sprintf('%s is never set: nnCostFunction returns without assigning %s', which, which);
  end
  frames = {};
  first_line = '';
  for k = 1:numel(err.stack)
    s = err.stack(k);
    [folder, file, ext] = fileparts(s.file);
    % The driver and its stand-ins (exit.m, figure.m …) are gradcheck's, not the student's; Octave's
    % own functions (strsplit, …) neither: the error is the student's call of them.
    here = fileparts(mfilename('fullpath'));
    if isempty(file) || strcmp(file, 'gradcheck_serve') || any(strcmp(folder, {fullfile(here, 'ahead'), fullfile(here, 'course')})) ...
        || strncmp(s.file, OCTAVE_HOME(), numel(OCTAVE_HOME())) || strncmp(s.file, '/usr/share/octave', 17)
      continue;
    end
    if isempty(frames)
      first_line = source_line(s.file, s.line);
    end
    frames{end + 1} = sprintf('%s%s line %d', file, ext, s.line);
  end
  if isempty(frames)
    text = message;
  elseif numel(frames) == 1
    text = sprintf('%s: %s', frames{1}, message);
  else
    text = sprintf('%s (called from %s): %s', frames{1}, strjoin(frames(2:end), ', called from '), message);
  end
  if ~isempty(first_line)
    text = sprintf('%s in: %s', text, first_line);
  end
end

function text = source_line(file, n)
  % Line n of file, trimmed, or '' (the error's line as the student wrote it).
  text = '';
  try
    lines = regexp(fileread(file), "\n", "split");  % strsplit would collapse blank lines
    if n >= 1 && n <= numel(lines)
      text = strtrim(lines{n});
    end
  catch
  end
end

function reply = error_reply(id, message)
  reply = sprintf('{"id": %d, "protocol": 2, "error": %s}', id, jsonencode(message));
end

function M = layer(theta, l, r, c)
  % jsondecode gives a cell array of matrices, or one 3-D array when the layers have one shape.
  if iscell(theta)
    M = reshape(theta{l}, r, c);
  else
    M = reshape(theta(l, :, :), r, c);
  end
end

function text = rows(M)
  % A matrix as an array of rows, even when it has a single row.
  parts = cell(1, size(M, 1));
  for i = 1:size(M, 1)
    values = cell(1, size(M, 2));
    for j = 1:size(M, 2)
      values{j} = number(M(i, j));
    end
    parts{i} = ['[' strjoin(values, ', ') ']'];
  end
  text = ['[' strjoin(parts, ', ') ']'];
end

function text = number(x)
  % 17 significant digits read back to the same double; JSON has no NaN or Inf.
  x = double(x);
  if isnan(x)
    text = '"NaN"';
  elseif x == Inf
    text = '"Infinity"';
  elseif x == -Inf
    text = '"-Infinity"';
  else
    text = sprintf('%.17g', x);
  end
end
