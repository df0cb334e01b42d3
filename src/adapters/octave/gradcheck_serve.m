function gradcheck_serve()
%GRADCHECK_SERVE Answers gradcheck's protocol (docs/protocol.md) with the course's nnCostFunction.
%   Reads one JSON request per line on stdin, calls the nnCostFunction found on the path with its
%   exact course signature
%     [J grad] = nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda)
%   (parameters unrolled column by column, labels 1..K), and writes one JSON reply per line.
%   `gradcheck check --octave DIR` starts it with DIR on the path; nothing in DIR is changed.
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
    try
      reply = answer(request);
    catch err
      reply = sprintf('{"id": %d, "error": %s}', request.id, jsonencode(err.message));
    end
    fprintf(stdout, '%s\n', reply);
    fflush(stdout);
  end
end

function reply = answer(request)
  sizes = request.sizes(:)';
  if numel(sizes) ~= 3 || ~strcmp(request.cost, 'sigmoid-logistic') || ~all(strcmp(request.activations, 'sigmoid'))
    error('gradcheck:unsupported', ['nnCostFunction takes the course''s network: 3 layers, sigmoid units, ' ...
          'the logistic cost; run gradcheck with --arch s1-s2-s3 and the default --activation and --cost']);
  end
  if ~isfield(request, 'labels')
    error('gradcheck:labels', 'nnCostFunction takes class labels y in 1..K; the request has none');
  end
  Theta1 = layer(request.theta, 1, sizes(2), sizes(1) + 1);
  Theta2 = layer(request.theta, 2, sizes(3), sizes(2) + 1);
  X = reshape(request.X, [], sizes(1));
  y = request.labels(:);
  [J, grad] = nnCostFunction([Theta1(:); Theta2(:)], sizes(1), sizes(2), sizes(3), X, y, request.lambda);
  reply = sprintf('{"id": %d, "J": %s', request.id, number(J));
  if any(strcmp(request.want, 'gradient'))
    n1 = sizes(2) * (sizes(1) + 1);
    G1 = reshape(grad(1:n1), sizes(2), sizes(1) + 1);
    G2 = reshape(grad(n1 + 1:end), sizes(3), sizes(2) + 1);
    reply = [reply ', "gradient": [' rows(G1) ', ' rows(G2) ']'];
  end
  reply = [reply '}'];
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
